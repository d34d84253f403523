"""Domain logic of learning: plain functions over plain data, usable without a request."""
