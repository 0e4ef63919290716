"""Activities of the exports queue: load farm data, render documents, keep them in the artifact store."""
