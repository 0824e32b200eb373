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
	"context"

	"github.com/digitalocean/godo"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Send sends a request godo has no method for, e.g.
// POST /v2/kubernetes/registries, through the client's retries, limiter and
// metrics. path is relative to the API URL ("v2/kubernetes/registries"); body
// (may be nil) is encoded as JSON; out (may be nil) receives the JSON answer.
// Errors are godo errors, so the Is* helpers work on them.
func (c *Client) Send(ctx context.Context, method, path string, body, out any) (*godo.Response, error) {
	req, err := c.NewRequest(ctx, method, path, body)
	if err != nil {
		return nil, errors.Wrapf(err, "cannot build %s %s", method, path)
	}
	return c.Do(ctx, req, out)
}
