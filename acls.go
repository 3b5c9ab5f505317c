package kafkaclient

import (
	"cmp"
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Access control lists.
type (
	// ACL is one access rule: Principal ("User:alice") may, or may not
	// (Permission), do Operation on the resource (ResourceType,
	// ResourceName, Pattern) from Host. As a filter (DescribeACLs,
	// DeleteACLs), an empty string and a zero or Any value match
	// everything.
	ACL = backend.ACL
	// ACLResourceType is the kind of resource an ACL is about.
	ACLResourceType = backend.ACLResourceType
	// ACLPattern says how an ACL's resource name matches.
	ACLPattern = backend.ACLPattern
	// ACLOperation is what an ACL allows or denies.
	ACLOperation = backend.ACLOperation
	// ACLPermission is ACLPermissionAllow or ACLPermissionDeny.
	ACLPermission = backend.ACLPermission
)

// ACL resource types, patterns, operations and permissions: Kafka's.
const (
	ACLResourceAny             = backend.ACLResourceAny
	ACLResourceTopic           = backend.ACLResourceTopic
	ACLResourceGroup           = backend.ACLResourceGroup
	ACLResourceCluster         = backend.ACLResourceCluster
	ACLResourceTransactionalID = backend.ACLResourceTransactionalID
	ACLResourceDelegationToken = backend.ACLResourceDelegationToken
	ACLResourceUser            = backend.ACLResourceUser

	ACLPatternAny      = backend.ACLPatternAny
	ACLPatternMatch    = backend.ACLPatternMatch
	ACLPatternLiteral  = backend.ACLPatternLiteral
	ACLPatternPrefixed = backend.ACLPatternPrefixed

	ACLOperationAny             = backend.ACLOperationAny
	ACLOperationAll             = backend.ACLOperationAll
	ACLOperationRead            = backend.ACLOperationRead
	ACLOperationWrite           = backend.ACLOperationWrite
	ACLOperationCreate          = backend.ACLOperationCreate
	ACLOperationDelete          = backend.ACLOperationDelete
	ACLOperationAlter           = backend.ACLOperationAlter
	ACLOperationDescribe        = backend.ACLOperationDescribe
	ACLOperationClusterAction   = backend.ACLOperationClusterAction
	ACLOperationDescribeConfigs = backend.ACLOperationDescribeConfigs
	ACLOperationAlterConfigs    = backend.ACLOperationAlterConfigs
	ACLOperationIdempotentWrite = backend.ACLOperationIdempotentWrite
	ACLOperationCreateTokens    = backend.ACLOperationCreateTokens
	ACLOperationDescribeTokens  = backend.ACLOperationDescribeTokens

	ACLPermissionAny   = backend.ACLPermissionAny
	ACLPermissionDeny  = backend.ACLPermissionDeny
	ACLPermissionAllow = backend.ACLPermissionAllow
)

// ClusterResourceName is the name of the cluster resource in ACLs.
const ClusterResourceName = "kafka-cluster"

// validACL checks an ACL to create, filling in its defaults (the literal
// pattern, any host): every field names one thing, and the principal is
// "Type:name".
func validACL(op string, acl *ACL) error {
	acl.Pattern = cmp.Or(acl.Pattern, ACLPatternLiteral)
	acl.Host = cmp.Or(acl.Host, "*")
	typ, name, _ := strings.Cut(acl.Principal, ":")
	switch {
	case acl.ResourceType < ACLResourceTopic || acl.ResourceType > ACLResourceUser:
		return newError(op, CodeInvalidArg, "ACL %s: resource type %s is invalid: name one, such as ACLResourceTopic", *acl, acl.ResourceType)
	case acl.ResourceName == "":
		return newError(op, CodeInvalidArg, "ACL %s: resource name is empty (\"*\" is every resource)", *acl)
	case acl.Pattern != ACLPatternLiteral && acl.Pattern != ACLPatternPrefixed:
		return newError(op, CodeInvalidArg, "ACL %s: pattern %s is invalid: an ACL is ACLPatternLiteral or ACLPatternPrefixed", *acl, acl.Pattern)
	case typ == "" || name == "":
		return newError(op, CodeInvalidArg, "ACL %s: principal %q is invalid: want Type:name, such as User:alice", *acl, acl.Principal)
	case acl.Operation < ACLOperationAll || acl.Operation > ACLOperationDescribeTokens:
		return newError(op, CodeInvalidArg, "ACL %s: operation %s is invalid: name one, such as ACLOperationRead", *acl, acl.Operation)
	case acl.Permission != ACLPermissionAllow && acl.Permission != ACLPermissionDeny:
		return newError(op, CodeInvalidArg, "ACL %s: permission %s is invalid: ACLPermissionAllow or ACLPermissionDeny", *acl, acl.Permission)
	}
	return nil
}

// validFilter checks an ACL filter, making its zero values Any.
func validFilter(op string, f *ACL) error {
	f.ResourceType = cmp.Or(f.ResourceType, ACLResourceAny)
	f.Pattern = cmp.Or(f.Pattern, ACLPatternAny)
	f.Operation = cmp.Or(f.Operation, ACLOperationAny)
	f.Permission = cmp.Or(f.Permission, ACLPermissionAny)
	if f.ResourceType > ACLResourceUser || f.Pattern > ACLPatternPrefixed || f.Operation > ACLOperationDescribeTokens || f.Permission > ACLPermissionAllow ||
		min(f.ResourceType, ACLResourceType(f.Pattern), ACLResourceType(f.Operation), ACLResourceType(f.Permission)) < 0 {
		return newError(op, CodeInvalidArg, "ACL filter %s has a value out of range", *f)
	}
	return nil
}

// sortACLs orders ACLs by resource, then principal, host, operation and
// permission.
func sortACLs(acls []ACL) []ACL {
	slices.SortFunc(acls, func(x, y ACL) int {
		return cmp.Or(cmp.Compare(x.ResourceType, y.ResourceType), cmp.Compare(x.ResourceName, y.ResourceName), cmp.Compare(x.Pattern, y.Pattern),
			cmp.Compare(x.Principal, y.Principal), cmp.Compare(x.Host, y.Host), cmp.Compare(x.Operation, y.Operation), cmp.Compare(x.Permission, y.Permission))
	})
	return acls
}

// CreateACLs creates the ACLs. Each is checked first, so a malformed one
// (an empty name, a principal without its type, a filter-only value such
// as ACLPatternAny) fails the call with CodeInvalidArg and creates none.
// Pattern defaults to ACLPatternLiteral and Host to "*". The broker
// creates each of the others on its own: the error names the first it
// refused (SECURITY_DISABLED without an authorizer,
// CLUSTER_AUTHORIZATION_FAILED for a principal that may not alter ACLs).
func (a *Admin) CreateACLs(ctx context.Context, acls ...ACL) error {
	const op = "create ACLs"
	acls = slices.Clone(acls)
	for i := range acls {
		if err := validACL(op, &acls[i]); err != nil {
			return err
		}
	}
	am, err := optional[backend.ACLManager](a.b, a.ba, op, "managing ACLs")
	if err != nil || len(acls) == 0 {
		return err
	}
	return a.do(op, ctx, func() error {
		errs, err := am.CreateACLs(ctx, acls)
		if i := slices.IndexFunc(errs, func(e error) bool { return e != nil }); err == nil && i >= 0 {
			var e *Error
			errors.As(a.errs.wrap(op, "", -1, errs[i]), &e)
			named := *e
			named.msg = strings.TrimSpace(fmt.Sprintf("ACL %s %s", acls[i], e.msg))
			return &named
		}
		return err
	})
}

// DescribeACLs returns the ACLs that filter matches, sorted. The zero
// filter matches every ACL.
func (a *Admin) DescribeACLs(ctx context.Context, filter ACL) ([]ACL, error) {
	const op = "describe ACLs"
	if err := validFilter(op, &filter); err != nil {
		return nil, err
	}
	am, err := optional[backend.ACLManager](a.b, a.ba, op, "managing ACLs")
	if err != nil {
		return nil, err
	}
	acls, err := doValue(a, op, ctx, func() ([]ACL, error) { return am.DescribeACLs(ctx, filter) })
	return sortACLs(acls), err
}

// DeleteACLs deletes every ACL that one of the filters matches, and
// returns those it deleted, sorted.
func (a *Admin) DeleteACLs(ctx context.Context, filters ...ACL) ([]ACL, error) {
	const op = "delete ACLs"
	filters = slices.Clone(filters)
	for i := range filters {
		if err := validFilter(op, &filters[i]); err != nil {
			return nil, err
		}
	}
	am, err := optional[backend.ACLManager](a.b, a.ba, op, "managing ACLs")
	if err != nil || len(filters) == 0 {
		return nil, err
	}
	acls, err := doValue(a, op, ctx, func() ([]ACL, error) { return am.DeleteACLs(ctx, filters) })
	return sortACLs(acls), err
}

// SCRAM credentials.
type (
	// ScramMechanism is ScramSHA256 or ScramSHA512.
	ScramMechanism = backend.ScramMechanism
	// ScramCredential is one of a user's SCRAM credentials: its mechanism
	// and iterations, never its secret.
	ScramCredential = backend.ScramCredential
	// UserScramCredentials are a user's SCRAM credentials; a user that
	// has none has Err set with CodeResourceNotFound.
	UserScramCredentials = backend.UserScramCredentials
	// ScramUpsertion creates or replaces a user's credential for one
	// mechanism: Password, hashed Iterations times (0: 4096). Salt and
	// SaltedPassword are filled in by UpsertUserScramCredentials.
	ScramUpsertion = backend.ScramUpsertion
	// ScramDeletion deletes a user's credential for one mechanism.
	ScramDeletion = backend.ScramDeletion
)

// SCRAM mechanisms.
const (
	ScramSHA256 = backend.ScramSHA256
	ScramSHA512 = backend.ScramSHA512
)

// Iterations Kafka accepts for a SCRAM credential.
const (
	MinScramIterations = 4096
	MaxScramIterations = 16384
)

// DescribeUserScramCredentials describes the users' SCRAM credentials, in
// the order asked, or every user's, sorted, when none are named.
func (a *Admin) DescribeUserScramCredentials(ctx context.Context, users ...string) ([]UserScramCredentials, error) {
	const op = "describe SCRAM credentials"
	if slices.Contains(users, "") {
		return nil, newError(op, CodeInvalidArg, "a user name is empty")
	}
	sm, err := optional[backend.ScramManager](a.b, a.ba, op, "managing SCRAM credentials")
	if err != nil {
		return nil, err
	}
	out, err := doValue(a, op, ctx, func() ([]UserScramCredentials, error) {
		return sm.DescribeUserScramCredentials(ctx, slices.Clone(users))
	})
	for i := range out {
		out[i].Err = a.errs.wrap(op, "", -1, out[i].Err)
		slices.SortFunc(out[i].Credentials, func(x, y ScramCredential) int { return cmp.Compare(x.Mechanism, y.Mechanism) })
	}
	return inOrder(out, users, func(u UserScramCredentials) string { return u.User }), err
}

// scramHash is the hash of a mechanism, nil for an unknown one.
func scramHash(m ScramMechanism) func() hash.Hash {
	switch m {
	case ScramSHA256:
		return sha256.New
	case ScramSHA512:
		return sha512.New
	}
	return nil
}

// UpsertUserScramCredentials creates or replaces the users' credentials,
// which they can log in with at once (SASL SCRAM-SHA-256 or -512). A user
// named more than once (one credential per mechanism) is altered in as many
// requests, one after the other; the call stops at the first failure. Each is
// checked first (a user, a password, a mechanism, iterations from
// MinScramIterations to MaxScramIterations): a bad one fails the call with
// CodeInvalidArg and changes nothing. The salted password is computed
// here, with a random salt; the password is not sent where the backend's
// client can send the salted one.
func (a *Admin) UpsertUserScramCredentials(ctx context.Context, creds ...ScramUpsertion) error {
	const op = "upsert SCRAM credentials"
	creds = slices.Clone(creds)
	for i := range creds {
		c := &creds[i]
		c.Iterations = cmp.Or(c.Iterations, MinScramIterations)
		h := scramHash(c.Mechanism)
		if c.User == "" || c.Password == "" || h == nil || c.Iterations < MinScramIterations || c.Iterations > MaxScramIterations {
			return newError(op, CodeInvalidArg, "credential of user %q is invalid: want a user, a password, ScramSHA256 or ScramSHA512 and %d to %d iterations (mechanism %d, %d iterations)",
				c.User, MinScramIterations, MaxScramIterations, c.Mechanism, c.Iterations)
		}
		c.Salt = make([]byte, 32)
		rand.Read(c.Salt)
		var err error
		if c.SaltedPassword, err = pbkdf2.Key(h, c.Password, c.Salt, int(c.Iterations), h().Size()); err != nil {
			return newError(op, CodeInvalidArg, "credential of user %q: %v", c.User, err)
		}
	}
	return a.alterScram(op, ctx, creds, nil)
}

// DeleteUserScramCredentials deletes the users' credentials; a user
// without one for the mechanism is RESOURCE_NOT_FOUND.
func (a *Admin) DeleteUserScramCredentials(ctx context.Context, creds ...ScramDeletion) error {
	const op = "delete SCRAM credentials"
	for _, c := range creds {
		if c.User == "" || scramHash(c.Mechanism) == nil {
			return newError(op, CodeInvalidArg, "deletion %+v is invalid: want a user and ScramSHA256 or ScramSHA512", c)
		}
	}
	return a.alterScram(op, ctx, nil, slices.Clone(creds))
}

func (a *Admin) alterScram(op string, ctx context.Context, up []ScramUpsertion, del []ScramDeletion) error {
	sm, err := optional[backend.ScramManager](a.b, a.ba, op, "managing SCRAM credentials")
	if err != nil || len(up)+len(del) == 0 {
		return err
	}
	// A broker may refuse a request that names a user twice
	// (DUPLICATE_RESOURCE): each round names a user once.
	type round struct {
		up  []ScramUpsertion
		del []ScramDeletion
	}
	var rounds []round
	seen := map[string]int{}
	at := func(user string) *round {
		i := seen[user]
		seen[user]++
		if i == len(rounds) {
			rounds = append(rounds, round{})
		}
		return &rounds[i]
	}
	for _, u := range up {
		r := at(u.User)
		r.up = append(r.up, u)
	}
	for _, d := range del {
		r := at(d.User)
		r.del = append(r.del, d)
	}
	return a.do(op, ctx, func() error {
		for _, r := range rounds {
			if err := sm.AlterUserScramCredentials(ctx, r.up, r.del); err != nil {
				return err
			}
		}
		return nil
	})
}
