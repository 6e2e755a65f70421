// Package httpx holds the HTTP conventions every Relance service shares:
// RFC 9457 problem+json errors naming the field at fault.
package httpx

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/relance/relance/internal/domain"
)

// Problem is an RFC 9457 problem detail. Field and Errors name the input at fault.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Field  string              `json:"field,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
}

// ContentType is the media type of problem responses.
const ContentType = "application/problem+json"

// NewProblem builds a problem for status with a detail.
func NewProblem(status int, detail string) Problem {
	return Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
}

// FieldProblem builds a 422-style problem naming the field at fault.
func FieldProblem(status int, fe domain.FieldError) Problem {
	p := NewProblem(status, fe.Error())
	p.Field = fe.Field
	p.Errors = []domain.FieldError{fe}
	return p
}

// FromError maps an error to a problem: a domain.FieldError becomes a 422
// naming its field; anything else becomes a 500 without internals.
func FromError(err error) Problem {
	var fe domain.FieldError
	if errors.As(err, &fe) {
		return FieldProblem(http.StatusUnprocessableEntity, fe)
	}
	return NewProblem(http.StatusInternalServerError, "internal error")
}

// Write sends p as problem+json.
func Write(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
