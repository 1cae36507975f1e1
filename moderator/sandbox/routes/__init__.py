"""The REST routes, one module per Twilio resource family, mirroring `moderator.sandbox.world`.

Each family module has `RULES` (its Werkzeug rules) and a routes class whose `handlers()` maps
(endpoint, method) to a handler; `moderator.sandbox.app` joins them into one URL map and runs
the shared pipeline (latency, auth, rate limit, faults) around them. A new family is a new
module here plus one line in the app. Families: `numbers`, `calls`, `rooms` (with create
options), `media` (subscribe rules, recording rules, recordings, compositions, signed media),
`serverless`, `inbound` (the sandbox's call controls), `sync` (Sync services, maps, map items).
"""
