"""Built-in deal, curve, behaviour and scenario files, installed as package data."""
