//go:build integration

package browsertest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relance/relance/internal/browsertest"
)

// A page's script runs, a click reaches the server, and the screenshot is a PNG.
func TestIntegrationBrowserClicksAndScreenshots(t *testing.T) {
	clicked := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			clicked <- r.FormValue("who")
			fmt.Fprint(w, `<!doctype html><p id="done">Merci</p>`)
			return
		}
		fmt.Fprint(w, `<!doctype html><html lang="fr"><form method="post"><label>Qui <input id="who" name="who"></label>
<button id="go">Envoyer</button></form><p id="js"></p><script>document.getElementById('js').textContent='é€ ok'</script></html>`)
	}))
	defer srv.Close()

	ctx := browsertest.New(t, browsertest.Options{})
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL)); err != nil {
		t.Fatalf("open page: %v", err)
	}
	js, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#js")))
	if err != nil {
		t.Fatalf("read script output: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS("#who"), "Zoé"),
		chromedp.Click(chromedp.CSS("#go")),
	); err != nil {
		t.Fatalf("fill and send form: %v", err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#done")))
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	if js != "é€ ok" || done != "Merci" {
		t.Fatalf("page said %q then %q", js, done)
	}
	if who := <-clicked; who != "Zoé" {
		t.Fatalf("server got %q", who)
	}
	shot := filepath.Join(t.TempDir(), "page.png")
	browsertest.Screenshot(t, ctx, shot)
	b, err := os.ReadFile(shot)
	if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes, %v)", len(b), err)
	}
}
