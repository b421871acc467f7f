"""Adapters: the only code that touches databases, object stores, HTTP and brokers."""
