package app

import (
	"net/url"
	"regexp"
	"strings"
)

// maskedPart stands for a URL's userinfo, query or fragment.
const maskedPart = "***"

// maskURL hides the parts of a URL that carry credentials: userinfo
// (https://user:pass@host) and query and fragment (?key=…, #token=…).
// Every setting value passes through it, so a URL setting added later is
// masked without anyone tagging it. A value that looks like a URL but
// does not parse is hidden whole, since it may hold credentials too.
func maskURL(v string) string {
	u, ok := asURL(v)
	switch {
	case !ok:
		return v
	case u == nil:
		return maskedPart
	}
	masked := u.Scheme + "://"
	if u.User != nil {
		masked += maskedPart + "@"
	}
	masked += u.Host + u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		masked += "?" + maskedPart
	}
	if u.Fragment != "" {
		masked += "#" + maskedPart
	}
	return masked
}

// urlCredentials are the parts maskURL hides, for the log redactor: an
// error from the HTTP client quotes the URL it called.
func urlCredentials(v string) []string {
	u, ok := asURL(v)
	if !ok || u == nil {
		return nil
	}
	var out []string
	if u.User != nil {
		pass, _ := u.User.Password()
		out = append(out, u.User.Username(), pass)
	}
	for _, vals := range u.Query() {
		out = append(out, vals...)
	}
	return append(out, u.RawQuery, u.Fragment)
}

// urlPrefix is how a value written as a URL starts.
var urlPrefix = regexp.MustCompile(`^\s*[A-Za-z][A-Za-z0-9+.-]*://`)

// asURL reports whether v is written as a URL (scheme://…) and parses
// it; u is nil when it does not parse.
func asURL(v string) (u *url.URL, ok bool) {
	if !urlPrefix.MatchString(v) {
		return nil, false
	}
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil {
		return nil, true
	}
	return u, true
}
