package httpx

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// A response that cannot be encoded (a time past year 9999) is a 500
// problem, not gin's empty 200.
func TestAnswerUnwrittenTurnsAnEncodingFailureInto500(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(AnswerUnwritten(slog.New(slog.DiscardHandler)))
	r.GET("/bad", func(c *gin.Context) {
		c.JSON(http.StatusOK, map[string]time.Time{"at": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)})
	})
	r.GET("/good", func(c *gin.Context) { c.JSON(http.StatusOK, map[string]string{"ok": "yes"}) })
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/bad", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Content-Type") != ContentType || !strings.Contains(rec.Body.String(), `"status":500`) {
		t.Fatalf("unencodable answer: %d %q %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	rec = httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/good", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != `{"ok":"yes"}` {
		t.Fatalf("good answer: %d %s", rec.Code, rec.Body)
	}
}
