"""Qingliu (清流): repair and tag corrupted Chinese posts in a Kafka stream."""

__version__ = "0.1.0"
