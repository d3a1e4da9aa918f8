// Package natsrelay publishes convstore's events to NATS JetStream: it
// implements service.EventPublisher, which the service tier's relay
// (service.Relay) calls for each event it claimed from the outbox.
//
// Each event goes to the subject <prefix>.<tenant id>.<event type> (for
// example convstore.ten_01J….conversation.deleted), with the event id as
// its Nats-Msg-Id, so JetStream drops a second publication of one event
// within the stream's duplicate window (a relay that died after
// publishing and before marking the event delivered). The body is the
// event as the native API's GET /v1/events returns it (api.Event). The
// stream is created on first use if it is missing (see StreamConfig for
// the defaults); an operator may create it beforehand with settings of
// their own, as long as it captures <prefix>.>.
package natsrelay
