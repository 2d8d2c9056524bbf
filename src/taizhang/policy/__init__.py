"""Policy: the policy file and the ledger's arrays in, schedules, states and due lists out.

Pure computation, no I/O: every rule is tested with hand-computed calendars.
"""
