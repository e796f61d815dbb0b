"""The domain's own values: codenames, designations, item kinds and names, key identities."""
