package helpcenter

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for uploaded logos
	_ "image/jpeg"
	"image/png"

	"portico/backend/access"
	"portico/backend/fault"
	"portico/backend/kv"
)

const keyImage = "hc/img/" // hc/img/<sha256 hex of the PNG> → PNG bytes

// Logo limits: uploads past these are refused before any pixel is decoded.
const (
	MaxLogoBytes  = 1 << 20
	maxLogoSide   = 2048
	maxLogoPixels = 2048 * 2048
)

// cleanLogo checks that raw is a PNG, JPEG or GIF by its content (not its
// name or declared type), bounds its size before decoding, and re-encodes
// it as PNG. Re-encoding drops metadata and anything smuggled beside the
// pixels, so what Portico serves is only ever an image.
func cleanLogo(raw []byte) ([]byte, error) {
	if len(raw) == 0 {
		return nil, fault.Invalidf("The file is empty.")
	}
	if len(raw) > MaxLogoBytes {
		return nil, fault.New(fault.TooLarge, fmt.Sprintf("Logos can be at most %d KB.", MaxLogoBytes>>10), "Use a smaller image.")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fault.New(fault.Invalid, "This file is not a PNG, JPEG or GIF image.", "Choose an image file.")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoSide || cfg.Height > maxLogoSide || cfg.Width*cfg.Height > maxLogoPixels {
		return nil, fault.New(fault.Invalid, fmt.Sprintf("The image is %d×%d pixels; logos can be at most %d×%d.", cfg.Width, cfg.Height, maxLogoSide, maxLogoSide), "Use a smaller image.")
	}
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		return nil, fault.New(fault.Invalid, "This "+format+" image is damaged and cannot be read.", "Export it again and retry.")
	}
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&out, img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func putImage(tx *kv.Tx, pngBytes []byte) (string, error) {
	sum := sha256.Sum256(pngBytes)
	id := hex.EncodeToString(sum[:])
	return id, tx.Set(keyImage+id, pngBytes)
}

// Image returns a stored PNG by id.
func (s *Service) Image(ctx context.Context, id string) ([]byte, error) {
	var b []byte
	err := s.db.View(ctx, func(tx *kv.Tx) (err error) { b, err = tx.Get(keyImage + id); return err })
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fault.NotFoundf("No such image.")
	}
	return b, err
}

// SetLogo stores the help center's logo (nil raw removes it).
func (s *Service) SetLogo(ctx context.Context, who access.Caller, raw []byte) (Settings, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Settings{}, err
	}
	var clean []byte
	if raw != nil {
		var err error
		if clean, err = cleanLogo(raw); err != nil {
			return Settings{}, err
		}
	}
	var st stored
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if st, err = load(tx); err != nil {
			return err
		}
		st.Logo = ""
		if clean != nil {
			if st.Logo, err = putImage(tx, clean); err != nil {
				return err
			}
		}
		return kv.Put(tx, keySettings, st)
	})
	return s.view(st), err
}

// SetProjectLogo stores a portal's logo (nil raw removes it).
func (s *Service) SetProjectLogo(ctx context.Context, who access.Caller, id uint64, raw []byte) (Project, error) {
	if err := access.ManageSite(who).Err(); err != nil {
		return Project{}, err
	}
	var clean []byte
	if raw != nil {
		var err error
		if clean, err = cleanLogo(raw); err != nil {
			return Project{}, err
		}
	}
	var p Project
	err := s.db.Update(ctx, func(tx *kv.Tx) (err error) {
		if p, err = GetProjectTx(tx, id); err != nil {
			return err
		}
		p.Logo = ""
		if clean != nil {
			if p.Logo, err = putImage(tx, clean); err != nil {
				return err
			}
		}
		return kv.Put(tx, projectKey(id), p)
	})
	s.changed()
	return p, err
}
