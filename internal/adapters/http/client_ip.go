package http

import "github.com/gin-gonic/gin"

const clientIPKey = "client_ip"

// clientIP is gin's ClientIP, worked out once per request: the access
// line, the limits and the per-caller bound all ask for it, and each
// call would parse the address and the forwarding headers again.
func clientIP(c *gin.Context) string {
	if ip, ok := c.Get(clientIPKey); ok {
		return ip.(string)
	}
	ip := c.ClientIP()
	c.Set(clientIPKey, ip)
	return ip
}
