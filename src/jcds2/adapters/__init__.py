"""Adapters: the ports implemented for Jamf Pro, S3 and HTTP range requests."""
