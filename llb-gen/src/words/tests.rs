//! Unit tests for word expansion.
