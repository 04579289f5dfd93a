"""Fetch layer: the one HTTP client, the address policy and the archives."""
