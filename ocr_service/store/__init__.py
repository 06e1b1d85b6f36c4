"""Where the service keeps things: S3 objects (``objects``) and the SQL index (``index``).

Objects hold the bytes (each upload as received, signed e-records under object lock); the index
holds what points at them and every state change. Both are adapters at the edge: the pipeline
stages never import this package.
"""
