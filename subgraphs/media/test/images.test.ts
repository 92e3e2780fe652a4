/** Image processing on its own: orientation, formats, EXIF, and what the renditions keep. */
import exifr from 'exifr';
import sharp from 'sharp';
import { formatOf } from '../src/media/formats.js';
import { aspectRatioOf, processImage } from '../src/media/images.js';
import { GPS, makeJpegWithGps } from './helpers.js';

/** The service's default MEDIA_MAX_IMAGE_PIXELS. */
const LIMIT = 100_000_000;

const format = (mime: string) => {
  const found = formatOf(mime);
  if (!found) throw new Error(mime);
  return found;
};

test('a portrait photo stored sideways (EXIF orientation 6) comes out upright in every rendition', async () => {
  // 1200×800 pixels that a camera marks "rotate 90° to display": a 800×1200 portrait.
  const sideways = await sharp({ create: { width: 1200, height: 800, channels: 3, background: '#3a6' } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const image = await processImage(sideways, format('image/jpeg'), false, LIMIT);
  expect([image.width, image.height, image.aspectRatio]).toEqual([800, 1200, '2:3']);
  expect([image.thumbnail.width, image.thumbnail.height]).toEqual([213, 320]);
  expect([image.web.width, image.web.height]).toEqual([720, 1080]);
  const original = await sharp(image.original?.buffer).metadata();
  expect([original.width, original.height, original.orientation]).toEqual([800, 1200, undefined]);
});

test('small images are not enlarged', async () => {
  const small = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const image = await processImage(small, format('image/png'), false, LIMIT);
  expect([image.thumbnail.width, image.thumbnail.height, image.web.width]).toEqual([200, 100, 200]);
  expect(image.original?.mimeType).toBe('image/png');
});

test.each([
  [
    'image/gif',
    () =>
      sharp({ create: { width: 90, height: 60, channels: 4, background: '#f00' } })
        .gif()
        .toBuffer(),
  ],
  [
    'image/webp',
    () =>
      sharp({ create: { width: 90, height: 60, channels: 3, background: '#00f' } })
        .webp()
        .toBuffer(),
  ],
])('%s is processed and its original kept in its own format', async (mime, make) => {
  const image = await processImage(await make(), format(mime), false, LIMIT);
  expect(image.original?.mimeType).toBe(mime);
  expect((await sharp(image.original?.buffer).metadata()).format).toBe(mime.split('/')[1]);
  expect((await sharp(image.thumbnail.buffer).metadata()).format).toBe('webp');
});

test('EXIF is read, and the cleaned original and the renditions carry none of it', async () => {
  const jpeg = await makeJpegWithGps(640, 480);
  const image = await processImage(jpeg, format('image/jpeg'), false, LIMIT);
  expect(image.exif).toMatchObject({
    camera: 'Canon EOS R5',
    aperture: 'f/2.8',
    shutterSpeed: '1/250',
    flash: true,
  });
  expect(Number(image.exif?.gps?.latitude.toString())).toBeCloseTo(GPS.latitude, 4);
  for (const rendition of [image.original, image.web, image.thumbnail]) {
    expect(await exifr.parse(rendition?.buffer ?? Buffer.alloc(0)).catch(() => undefined)).toBeUndefined();
  }
  // Keeping location data: no cleaned copy is made, the upload itself is the original.
  expect((await processImage(jpeg, format('image/jpeg'), true, LIMIT)).original).toBeNull();
});

test('aspect ratios are reduced exactly', () => {
  expect(aspectRatioOf(1920, 1080)).toBe('16:9');
  expect(aspectRatioOf(1024, 768)).toBe('4:3');
  expect(aspectRatioOf(500, 500)).toBe('1:1');
  expect(aspectRatioOf(1001, 500)).toBe('1001:500');
});

test('an image larger than the pixel limit is refused before it is decoded', async () => {
  // 4000×4000 of one colour: a few kilobytes of PNG that decode to 48 MB of pixels.
  const bomb = await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#fff' } })
    .png()
    .toBuffer();
  expect(bomb.length).toBeLessThan(200_000);
  await expect(processImage(bomb, format('image/png'), false, 10_000_000)).rejects.toThrow(
    'the image is too large to process: 4000×4000 exceeds 10000000 pixels',
  );
  const within = await processImage(bomb, format('image/png'), false, 16_000_000);
  expect([within.width, within.height]).toEqual([4000, 4000]);
});
