package app

// version is stamped at build time: -ldflags "-X …/internal/app.version=$(git describe)".
var version = "dev"
