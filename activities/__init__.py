"""Activities, mirroring `workflows/`: `activities/<queue>/<task>.py` holds the steps of `workflows/<queue>/<task>.py`.

Activities are thin: they load inputs, call the plain functions of `gaveurs`, heartbeat, and store outputs.
`activities/shared/` holds steps and helpers every queue uses; its activities are registered on every queue.
"""
