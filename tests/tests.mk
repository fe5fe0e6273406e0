# Test programs: host unit tests and guest test images.
.PHONY: tests
tests:
