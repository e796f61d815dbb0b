"""The domain's own values and rules: codenames, designations, key identities; no I/O."""
