"""The journalist app's pages, one blueprint per area."""
