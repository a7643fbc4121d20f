"""Stand-ins for the social networks: small HTTP servers on loopback that follow each network's
documented contract (paths, validation, response shapes, error bodies, rate-limit headers) and
inject faults on demand. They are the only part of the tests that is not the real thing."""
