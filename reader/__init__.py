"""The air-gapped reader: decrypt what journalists carry over, keep it in a vault, show it safely.

`reader.vault.Vault` is the API the CLI (`reader.cli`) and the desktop window call.
"""
