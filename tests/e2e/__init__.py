"""End-to-end tests: the real source interface under gunicorn, driven by Chromium."""
