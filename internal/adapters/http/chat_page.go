package http

import (
	"embed"

	"github.com/gin-gonic/gin"
)

// chatPageFiles are the chat page: plain HTML, one JavaScript module, one
// stylesheet and an icon, with no build step. docs/chat-page.md explains it.
//
//go:embed chatpage
var chatPageFiles embed.FS

// chatPageRoutes map each path to its file and exact media type: nosniff
// makes a browser refuse a module or stylesheet served as anything else.
// /chat serves the page too, since no route redirects.
var chatPageRoutes = []struct{ path, file, contentType string }{
	{"/chat/", "index.html", "text/html; charset=utf-8"},
	{"/chat", "index.html", "text/html; charset=utf-8"},
	{"/chat/chat.js", "chat.js", "text/javascript; charset=utf-8"},
	{"/chat/chat.css", "chat.css", "text/css; charset=utf-8"},
	{"/chat/icon.svg", "icon.svg", "image/svg+xml"},
}

// registerChatPage adds the page to the public group: a browser cannot
// send a key to load the page that asks for one. The model calls it
// makes stay guarded.
func registerChatPage(public *gin.RouterGroup) {
	page := public.Group("", pageSecurity())
	for _, r := range chatPageRoutes {
		body, err := chatPageFiles.ReadFile("chatpage/" + r.file)
		if err != nil {
			panic("chat page: " + err.Error()) // the list and the embedded folder disagree: a build mistake
		}
		page.GET(r.path, handleDocument(r.contentType, body))
	}
}
