package convstore

import "context"

// Store is everything a storage engine provides. The API doors depend on
// this interface only; cmd/ picks the engine. DigestService is part of
// it so that list views never fall back to per-conversation reads behind
// a wrapper (the metrics decorator embeds a Store).
type Store interface {
	TenantService
	KeyService
	TokenService
	ConversationService
	EndUserService
	TagService
	MessageService
	MessageEditService
	MessageLookupService
	CORSService
	ArtifactService
	AttachmentService
	DeletionService
	DigestService
	ConversationUserService
	HoldService
	IdempotencyService
	RetentionService
	ErasureService
	RestoreService
	EventService
	WebhookService
	ProcessorService

	// Ping reports whether the store can serve (for /readyz).
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}
