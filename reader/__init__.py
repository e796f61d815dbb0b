"""The air-gapped reader: decrypt, inspect, clean and export what sources sent."""
