import jpeg from 'jpeg-js';

export interface FrameOptions {
  width: number;
  height: number;
  /** Base hue in degrees, so cameras in one fleet give visibly different pictures. */
  hue: number;
  /** Moves a bar across the picture, so consecutive snapshots differ like a live scene. */
  frame: number;
  /** Video loss: a black frame, as many encoders send when the sensor signal is gone. */
  black?: boolean;
}

/** A real baseline JPEG (decodable by any viewer), generated rather than shipped as a fixture. */
export function renderJpeg(opts: FrameOptions): Buffer {
  const { width, height } = opts;
  const data = Buffer.alloc(width * height * 4);
  const [br, bg, bb] = hueToRgb(opts.hue);
  const barX = (opts.frame * 17) % width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (opts.black) {
        data[i + 3] = 255;
        continue;
      }
      const shade = 0.35 + 0.65 * (y / height);
      const onBar = Math.abs(x - barX) < 6;
      data[i] = onBar ? 255 : Math.round(br * shade);
      data[i + 1] = onBar ? 255 : Math.round(bg * shade);
      data[i + 2] = onBar ? 255 : Math.round(bb * shade);
      data[i + 3] = 255;
    }
  }
  return jpeg.encode({ data, width, height }, 70).data;
}

function hueToRgb(hue: number): [number, number, number] {
  const h = (((hue % 360) + 360) % 360) / 60;
  const x = 1 - Math.abs((h % 2) - 1);
  const table: [number, number, number][] = [
    [1, x, 0],
    [x, 1, 0],
    [0, 1, x],
    [0, x, 1],
    [x, 0, 1],
    [1, 0, x],
  ];
  const [r, g, b] = table[Math.floor(h) % 6]!;
  return [r * 255, g * 255, b * 255];
}
