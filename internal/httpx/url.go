package httpx

import (
	"net/http"
	"net/url"

	"github.com/relance/relance/internal/domain"
	"github.com/relance/relance/internal/pgtext"
)

// CheckURL refuses with a 400 naming the part at fault a path or query
// that no handler could store or look up: NUL bytes, invalid UTF-8, a
// query that does not parse. Without it such input reaches Postgres and
// comes back as a 500.
func CheckURL(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fe, ok := badURL(r.URL); ok {
			Write(w, FieldProblem(http.StatusBadRequest, fe))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func badURL(u *url.URL) (domain.FieldError, bool) {
	if err := pgtext.CheckString(u.Path); err != nil {
		return domain.FieldError{Field: "path", Reason: err.Error()}, true
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return domain.FieldError{Field: "query", Reason: "is not a valid query string"}, true
	}
	for k, vs := range q {
		if err := pgtext.CheckString(k); err != nil {
			return domain.FieldError{Field: "query", Reason: "a parameter name " + err.Error()}, true
		}
		for _, v := range vs {
			if err := pgtext.CheckString(v); err != nil {
				return domain.FieldError{Field: k, Reason: err.Error()}, true
			}
		}
	}
	return domain.FieldError{}, false
}
