package domain

// Application error types the collection workflow's update handlers and
// validators return, so the case client can tell a rejection of the input
// (with a FieldError in the details) from a case that has already ended.
const (
	ErrTypeRejected   = "Rejected"
	ErrTypeCaseClosed = "CaseClosed"
)
