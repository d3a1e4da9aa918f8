package api

import _ "embed"

// OpenAPI is the checked-in OpenAPI 3.1 document of the native REST API
// (openapi.json), served at GET /v1/openapi.json. Tests in convhttp/v1 fail when
// its operations and the registered routes differ.
//
//go:embed openapi.json
var OpenAPI []byte
