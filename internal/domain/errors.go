package domain

import "fmt"

// FieldError says which input field is wrong and why; the HTTP layer turns
// it into a problem+json body and the workflow's update validators return it.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }
