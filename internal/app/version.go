package app

// version and revision are stamped at build time (see the Makefile and
// the Dockerfile): -ldflags "-X …/internal/app.version=$(git describe)
// -X …/internal/app.revision=$(git rev-parse --short HEAD)". They show in
// GET /api/, the start-up log and aoai_api_build_info.
var (
	version  = "dev"
	revision = "unknown"
)
