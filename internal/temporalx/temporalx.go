// Package temporalx holds what every Relance process shares about
// Temporal: client options, workflow IDs and the search attributes.
package temporalx

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"

	"github.com/relance/relance/internal/config"
)

// CaseWorkflowType is the registered name of the collection workflow.
const CaseWorkflowType = "CollectionCase"

// CaseWorkflowID is the one workflow ID of an invoice's case.
func CaseWorkflowID(invoiceID string) string { return "invoice:" + invoiceID }

// InvoiceIDFromWorkflowID reverses CaseWorkflowID.
func InvoiceIDFromWorkflowID(workflowID string) (string, bool) {
	return strings.CutPrefix(workflowID, "invoice:")
}

// Typed search attributes of a case, kept current by the workflow.
var (
	CustomerID      = temporal.NewSearchAttributeKeyKeyword("CustomerId")
	InvoiceNumber   = temporal.NewSearchAttributeKeyKeyword("InvoiceNumber")
	CaseStatus      = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	CollectionStage = temporal.NewSearchAttributeKeyKeyword("CollectionStage")
	Collector       = temporal.NewSearchAttributeKeyKeyword("Collector")
	Segment         = temporal.NewSearchAttributeKeyKeyword("Segment")
	AmountDueCents  = temporal.NewSearchAttributeKeyInt64("AmountDueCents")
	NextActionAt    = temporal.NewSearchAttributeKeyTime("NextActionAt")
)

// SearchAttributeTypes lists every custom attribute and its type, in the
// syntax of `temporal server start-dev --search-attribute` and
// `temporal operator search-attribute create`.
func SearchAttributeTypes() map[string]string {
	return map[string]string{
		"CustomerId": "Keyword", "InvoiceNumber": "Keyword", "CaseStatus": "Keyword",
		"CollectionStage": "Keyword", "Collector": "Keyword", "Segment": "Keyword",
		"AmountDueCents": "Int", "NextActionAt": "Datetime",
	}
}

// SearchAttributes returns the zero-valued attributes, used to register
// them on a dev server started from tests.
func SearchAttributes() temporal.SearchAttributes {
	return temporal.NewSearchAttributes(
		CustomerID.ValueSet(""), InvoiceNumber.ValueSet(""), CaseStatus.ValueSet(""),
		CollectionStage.ValueSet(""), Collector.ValueSet(""), Segment.ValueSet(""),
		AmountDueCents.ValueSet(0), NextActionAt.ValueSet(time.Unix(0, 0).UTC()),
	)
}

// ClientOptions builds client options from the configuration.
func ClientOptions(cfg config.Temporal, logger *slog.Logger) (client.Options, error) {
	opts := client.Options{
		HostPort:  cfg.Address,
		Namespace: cfg.Namespace,
		Logger:    log.NewStructuredLogger(logger),
	}
	tlsCfg, err := tlsConfig(cfg)
	if err != nil {
		return opts, err
	}
	if tlsCfg != nil {
		opts.ConnectionOptions.TLS = tlsCfg
	}
	if cfg.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(cfg.APIKey)
	}
	return opts, nil
}

func tlsConfig(cfg config.Temporal) (*tls.Config, error) {
	if !cfg.TLS && cfg.APIKey == "" && cfg.TLSCert == "" && cfg.TLSCA == "" {
		return nil, nil
	}
	out := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: %w", err)
		}
		out.Certificates = []tls.Certificate{pair}
	}
	if cfg.TLSCA != "" {
		pem, err := os.ReadFile(cfg.TLSCA)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TEMPORAL_TLS_CA: no certificate in %s", cfg.TLSCA)
		}
		out.RootCAs = pool
	}
	return out, nil
}

// NewLazyClient returns a client that connects on first use, so a service
// starts (and reports not ready) while Temporal is down.
func NewLazyClient(cfg config.Temporal, logger *slog.Logger) (client.Client, error) {
	opts, err := ClientOptions(cfg, logger)
	if err != nil {
		return nil, err
	}
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return nil, fmt.Errorf("temporal client for %s: %w", cfg.Address, err)
	}
	return c, nil
}

// CheckHealth is a readiness check for the Temporal frontend.
func CheckHealth(c client.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}
