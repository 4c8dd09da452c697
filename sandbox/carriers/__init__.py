"""Simulators of the carriers UPS, FedEx and DHL, sharing the sandbox world's shipments."""
