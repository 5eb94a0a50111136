package http

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/aoai-api/aoai-api/internal/domain"
)

type v1Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type v1ModelList struct {
	Object string    `json:"object"`
	Data   []v1Model `json:"data"`
}

func modelOf(id string) v1Model { return v1Model{ID: id, Object: "model", OwnedBy: "aoai-api"} }

// handleV1Models lists the models a client may name, as they are now: a
// reload of LLM_CONFIG_FILE changes them.
func handleV1Models(models func() []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		names := models()
		list := v1ModelList{Object: "list", Data: make([]v1Model, 0, len(names))}
		for _, m := range names {
			list.Data = append(list.Data, modelOf(m))
		}
		c.JSON(http.StatusOK, list)
	}
}

func handleV1Model(models func() []string) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.Param("model")
		for _, m := range models() {
			if m == id {
				c.JSON(http.StatusOK, modelOf(m))
				return
			}
		}
		writeError(c, domain.UnknownModel(id))
	}
}
