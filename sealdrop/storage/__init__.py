"""Where ciphertext lives on disk."""
