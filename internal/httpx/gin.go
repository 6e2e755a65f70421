package httpx

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
)

// AnswerUnwritten turns a handler that ended with an error and wrote
// nothing (gin leaves a response it could not encode, a time out of
// range say, as an empty 200) into a 500 problem+json, logged here.
func AnswerUnwritten(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if c.Writer.Written() || len(c.Errors) == 0 {
			return
		}
		logger.Error("response not written", "route", c.FullPath(), "err", c.Errors.String())
		Write(c.Writer, NewProblem(http.StatusInternalServerError, "internal error: the answer could not be encoded"))
	}
}
