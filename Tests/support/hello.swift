// The floor for `make bench`: a Swift program built like aws-elevate (optimised, static Swift stdlib) that only
// writes one line. aws-elevate's cache-hit start-up is measured against it.
print("hello")
