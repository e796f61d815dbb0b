"""Blueprints of the source interface: thin views that call one service each."""
