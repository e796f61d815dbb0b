"""The bundle: a stored zip of ciphertexts and a manifest, carried to the air-gapped reader."""
