# Nexmark q0: every bid, passed through (run with jq -c).
.
