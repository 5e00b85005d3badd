"""One call: validate, build the request, send it, shape the result; input limits; advice texts."""
