package kafkaclient

import (
	"cmp"
	"context"
	"slices"
	"strconv"

	"github.com/kafkaclient/kafkaclient/backend"
)

// Configs of topics and brokers.
type (
	// ConfigResourceType is the kind of resource a config belongs to:
	// ConfigResourceTopic or ConfigResourceBroker.
	ConfigResourceType = backend.ConfigResourceType
	// ConfigResource names a topic or a broker; see TopicResource and
	// BrokerResource.
	ConfigResource = backend.ConfigResource
	// ConfigSource is where a config's value comes from.
	ConfigSource = backend.ConfigSource
	// ConfigEntry is one config of a resource. A sensitive config's Value
	// is never returned ("").
	ConfigEntry = backend.ConfigEntry
	// ResourceConfigs are the configs of one resource, sorted by name; a
	// resource that could not be described has Err set (an *Error).
	ResourceConfigs = backend.ResourceConfigs
	// ConfigOp is what IncrementalAlterConfigs does with a config.
	ConfigOp = backend.ConfigOp
	// ConfigAlteration changes one config: ConfigOpSet sets Value,
	// ConfigOpDelete reverts to the default, ConfigOpAppend and
	// ConfigOpSubtract add Value to or remove it from a list config.
	ConfigAlteration = backend.ConfigAlteration
)

// Config resource types, sources and operations.
const (
	ConfigResourceTopic  = backend.ConfigResourceTopic
	ConfigResourceBroker = backend.ConfigResourceBroker
	ConfigResourceGroup  = backend.ConfigResourceGroup

	ConfigSourceUnknown        = backend.ConfigSourceUnknown
	ConfigSourceTopic          = backend.ConfigSourceTopic
	ConfigSourceBroker         = backend.ConfigSourceBroker
	ConfigSourceClusterDefault = backend.ConfigSourceClusterDefault
	ConfigSourceStaticBroker   = backend.ConfigSourceStaticBroker
	ConfigSourceDefault        = backend.ConfigSourceDefault
	ConfigSourceBrokerLogger   = backend.ConfigSourceBrokerLogger

	ConfigOpSet      = backend.ConfigOpSet
	ConfigOpDelete   = backend.ConfigOpDelete
	ConfigOpAppend   = backend.ConfigOpAppend
	ConfigOpSubtract = backend.ConfigOpSubtract
)

// TopicResource names a topic's configs.
func TopicResource(topic string) ConfigResource {
	return ConfigResource{Type: ConfigResourceTopic, Name: topic}
}

// BrokerResource names the configs of the broker with this id.
func BrokerResource(id int32) ConfigResource {
	return ConfigResource{Type: ConfigResourceBroker, Name: strconv.Itoa(int(id))}
}

// GroupResource names the configs of a consumer or share group (Kafka
// 4.0+), such as share.auto.offset.reset, share.record.lock.duration.ms
// and share.delivery.count.limit.
func GroupResource(group string) ConfigResource {
	return ConfigResource{Type: ConfigResourceGroup, Name: group}
}

// validResource checks r: a valid topic name, or a broker id ("" for the
// cluster-wide broker defaults).
func validResource(op string, r ConfigResource) error {
	switch r.Type {
	case ConfigResourceTopic:
		if err := validTopic(r.Name); err != nil {
			err.Op = op
			return err
		}
		return nil
	case ConfigResourceBroker:
		if id, err := strconv.ParseInt(r.Name, 10, 32); r.Name != "" && (err != nil || id < 0) {
			return newError(op, CodeInvalidArg, "broker resource %q is invalid: want a broker id, or \"\" for the cluster-wide defaults", r.Name)
		}
		return nil
	case ConfigResourceGroup:
		if r.Name == "" {
			return newError(op, CodeInvalidArg, "group resource has no name: want a group id")
		}
		return nil
	}
	return newError(op, CodeInvalidArg, "config resource type %d is invalid: use ConfigResourceTopic, ConfigResourceBroker or ConfigResourceGroup", r.Type)
}

// resourceTopic is the topic an error about r names, if any.
func resourceTopic(r ConfigResource) string {
	if r.Type == ConfigResourceTopic {
		return r.Name
	}
	return ""
}

// DescribeConfigs describes the configs of each resource, answered in the
// order asked. A resource that could not be described (an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION) has Err set; the call's error is for a
// failure of the whole request.
func (a *Admin) DescribeConfigs(ctx context.Context, resources ...ConfigResource) ([]ResourceConfigs, error) {
	const op = "describe configs"
	for _, r := range resources {
		if err := validResource(op, r); err != nil {
			return nil, err
		}
	}
	cm, err := optional[backend.ConfigManager](a.b, a.ba, op, "describing configs")
	if err != nil || len(resources) == 0 {
		return nil, err
	}
	rs, err := doValue(a, op, ctx, func() ([]ResourceConfigs, error) { return cm.DescribeConfigs(ctx, slices.Clone(resources)) })
	if err != nil {
		return nil, err
	}
	out := make([]ResourceConfigs, len(resources))
	for i, want := range resources {
		out[i] = ResourceConfigs{Resource: want, Err: newError(op, CodeFailed, "the broker did not answer for this resource")}
		for j, r := range rs {
			if r.Resource == want {
				out[i], rs = r, slices.Delete(rs, j, j+1)
				break
			}
		}
		out[i].Err = a.errs.wrap(op, resourceTopic(want), -1, out[i].Err)
		slices.SortFunc(out[i].Configs, func(x, y ConfigEntry) int { return cmp.Compare(x.Name, y.Name) })
	}
	return out, nil
}

// DescribeTopicConfigs returns topic's effective configs by name.
func (a *Admin) DescribeTopicConfigs(ctx context.Context, topic string) (map[string]string, error) {
	rs, err := a.DescribeConfigs(ctx, TopicResource(topic))
	if err != nil {
		return nil, err
	}
	if rs[0].Err != nil {
		return nil, rs[0].Err
	}
	m := make(map[string]string, len(rs[0].Configs))
	for _, c := range rs[0].Configs {
		m[c.Name] = c.Value
	}
	return m, nil
}

// IncrementalAlterConfigs applies the alterations to the resource, all or
// none: the broker checks the whole request first, so an unknown config
// name or an invalid value (INVALID_CONFIG) changes nothing. Configs not
// named keep their values. A broker's configs are changed on that broker
// (BrokerResource) or as every broker's default (Name "").
func (a *Admin) IncrementalAlterConfigs(ctx context.Context, resource ConfigResource, alts ...ConfigAlteration) error {
	const op = "alter configs"
	if err := validResource(op, resource); err != nil {
		return err
	}
	for _, alt := range alts {
		if alt.Name == "" || alt.Op < ConfigOpSet || alt.Op > ConfigOpSubtract {
			return newError(op, CodeInvalidArg, "alteration %+v is invalid: want a config name and a ConfigOp", alt)
		}
	}
	cm, err := optional[backend.ConfigManager](a.b, a.ba, op, "altering configs")
	if err != nil || len(alts) == 0 {
		return err
	}
	return a.do(op, ctx, func() error {
		return a.errs.wrap(op, resourceTopic(resource), -1, cm.AlterConfigs(ctx, resource, slices.Clone(alts)))
	})
}
