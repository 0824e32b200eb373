/*
Copyright 2026 The provider-docr Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package clients

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/digitalocean/godo"
)

// godo's ErrorResponse has no "id" field (not_found, conflict, ...): branch on
// the HTTP status code instead.

// StatusCode of the DigitalOcean API error in err's chain, or 0.
func StatusCode(err error) int {
	var er *godo.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	return 0
}

// IsNotFound reports a 404 not_found.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports a 409 conflict, e.g. a registry name taken by anyone.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsPreconditionFailed reports a 412, e.g. a tier the account is not eligible for.
func IsPreconditionFailed(err error) bool { return StatusCode(err) == http.StatusPreconditionFailed }

// IsUnprocessable reports a 422 unprocessable_entity, e.g. a registry limit.
func IsUnprocessable(err error) bool { return StatusCode(err) == http.StatusUnprocessableEntity }

// IsBadRequest reports a 400 bad_request.
func IsBadRequest(err error) bool { return StatusCode(err) == http.StatusBadRequest }

// IsUnauthorized reports a 401 (bad or revoked token) or 403.
func IsUnauthorized(err error) bool {
	c := StatusCode(err)
	return c == http.StatusUnauthorized || c == http.StatusForbidden
}

// IsTooManyRequests reports a 429 that survived the retries.
func IsTooManyRequests(err error) bool { return StatusCode(err) == http.StatusTooManyRequests }

// Message is DigitalOcean's message of the API error in err's chain, or "".
func Message(err error) string {
	var er *godo.ErrorResponse
	if errors.As(err, &er) {
		if er.Message == "" && er.NestedError != nil {
			return er.NestedError.Message
		}
		return er.Message
	}
	return ""
}

// APIError is a DigitalOcean API error described without the request URL:
// "404 Not Found: registry not found (request abc)". It wraps the godo error,
// so the Is* helpers keep working.
type APIError struct {
	cause error
}

// Error describes the status and DigitalOcean's message.
func (e *APIError) Error() string {
	var er *godo.ErrorResponse
	if !errors.As(e.cause, &er) || er.Response == nil {
		return e.cause.Error()
	}
	s := fmt.Sprintf("%d %s", er.Response.StatusCode, http.StatusText(er.Response.StatusCode))
	if m := Message(e.cause); m != "" {
		s += ": " + m
	}
	if er.RequestID != "" {
		s += " (request " + er.RequestID + ")"
	}
	if er.Attempts > 1 {
		s += fmt.Sprintf(" after %d attempts", er.Attempts)
	}
	return s
}

// Unwrap returns the godo error.
func (e *APIError) Unwrap() error { return e.cause }

// Describe returns err with DigitalOcean API errors in a short form naming the
// status and message (no URL). Other errors are returned as they are. Tokens
// cannot appear in either: the transport removes them from error bodies, and
// they are never part of a URL.
func Describe(err error) error {
	var er *godo.ErrorResponse
	if err == nil || !errors.As(err, &er) {
		return err
	}
	return &APIError{cause: err}
}
