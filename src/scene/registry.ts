/**
 * Known scenes as pure data: adding a scene is adding an entry here. Values from the public
 * University of the Basque Country collection (../shared/data/README.md).
 */
import type { ClassInfo } from '../core/types.ts';

/** A file a user can download into data/, with what it must be. */
export interface RemoteFile {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly url: string;
}

export interface DatasetEntry {
  /** Short id used on the command line (`--dataset ksc`). */
  readonly id: string;
  readonly title: string;
  readonly cubeFile: string;
  readonly cubeVar: string;
  readonly gtFile: string;
  readonly gtVar: string;
  /** Label value → name; values need not be contiguous (SalinasA). */
  readonly classes: readonly ClassInfo[];
  /** Zero-based (red, green, blue) band indices for the false-colour view. */
  readonly rgbBands: readonly [number, number, number];
  /** Expected cube shape [height, width, bands], for a clear message when a file is another scene. */
  readonly shape: readonly [number, number, number];
  /** Where the files come from; absent for scenes with no canonical address. */
  readonly remote?: { readonly cube: RemoteFile; readonly gt: RemoteFile };
}

const names = (list: readonly string[], values?: readonly number[]): ClassInfo[] =>
  list.map((name, i) => ({ value: values?.[i] ?? i + 1, name }));

const GIC = 'http://www.ehu.eus/ccwintco/uploads';

const SALINAS_NAMES = [
  'Brocoli_green_weeds_1', 'Brocoli_green_weeds_2', 'Fallow', 'Fallow_rough_plow', 'Fallow_smooth',
  'Stubble', 'Celery', 'Grapes_untrained', 'Soil_vinyard_develop', 'Corn_senesced_green_weeds',
  'Lettuce_romaine_4wk', 'Lettuce_romaine_5wk', 'Lettuce_romaine_6wk', 'Lettuce_romaine_7wk',
  'Vinyard_untrained', 'Vinyard_vertical_trellis',
] as const;

export const DATASETS: readonly DatasetEntry[] = [
  {
    id: 'ksc',
    title: 'Kennedy Space Center (AVIRIS, 18 m)',
    cubeFile: 'KSC.mat', cubeVar: 'KSC', gtFile: 'KSC_gt.mat', gtVar: 'KSC_gt',
    classes: names([
      'Scrub', 'Willow swamp', 'Cabbage palm hammock', 'Cabbage palm/oak hammock', 'Slash pine',
      'Oak/broadleaf hammock', 'Hardwood swamp', 'Graminoid marsh', 'Spartina marsh', 'Cattail marsh',
      'Salt marsh', 'Mud flats', 'Water',
    ]),
    rgbBands: [43, 21, 11],
    shape: [512, 614, 176],
    remote: {
      cube: { file: 'KSC.mat', bytes: 56_824_624, sha256: 'b1ad011cfdb65c853e4f9f6108ca4774467d87f90a5c23b74ff3a2984a3b4786', url: `${GIC}/2/26/KSC.mat` },
      gt: { file: 'KSC_gt.mat', bytes: 3_240, sha256: 'a1d6ab9293691006bd4d9742d1a1e1c141b1aaa5fbc5fa128b33c1d09038510b', url: `${GIC}/a/a6/KSC_gt.mat` },
    },
  },
  {
    id: 'indian-pines',
    title: 'Indian Pines (AVIRIS)',
    cubeFile: 'Indian_pines_corrected.mat', cubeVar: 'indian_pines_corrected',
    gtFile: 'Indian_pines_gt.mat', gtVar: 'indian_pines_gt',
    classes: names([
      'Alfalfa', 'Corn-notill', 'Corn-mintill', 'Corn', 'Grass-pasture', 'Grass-trees',
      'Grass-pasture-mowed', 'Hay-windrowed', 'Oats', 'Soybean-notill', 'Soybean-mintill', 'Soybean-clean',
      'Wheat', 'Woods', 'Buildings-Grass-Trees-Drives', 'Stone-Steel-Towers',
    ]),
    rgbBands: [43, 21, 11],
    shape: [145, 145, 200],
    remote: {
      cube: { file: 'Indian_pines_corrected.mat', bytes: 5_953_527, sha256: 'ec2f8808710919d566f70f0d4aa885aae1ddfd42b734aba71c5e12ca65450939', url: `${GIC}/6/67/Indian_pines_corrected.mat` },
      gt: { file: 'Indian_pines_gt.mat', bytes: 1_125, sha256: '65c4687a8ab04f6da4789799bc3bc4f6e88bccac3ed6a2e6ae367e5e6b9e429c', url: `${GIC}/c/c4/Indian_pines_gt.mat` },
    },
  },
  {
    id: 'salinas',
    title: 'Salinas Valley (AVIRIS)',
    cubeFile: 'Salinas_corrected.mat', cubeVar: 'salinas_corrected', gtFile: 'Salinas_gt.mat', gtVar: 'salinas_gt',
    classes: names(SALINAS_NAMES),
    rgbBands: [43, 21, 11],
    shape: [512, 217, 204],
    remote: {
      cube: { file: 'Salinas_corrected.mat', bytes: 26_552_770, sha256: '5ec1c0d22f56d18ecd336f8e35735863c0f160682e04e0c18ef3f89a3334d87d', url: `${GIC}/a/a3/Salinas_corrected.mat` },
      gt: { file: 'Salinas_gt.mat', bytes: 4_277, sha256: 'ecfab4d31ef5553f097943235d8ea502038eb4a2067b2ad10b33e37c949955e2', url: `${GIC}/f/fa/Salinas_gt.mat` },
    },
  },
  {
    id: 'salinas-a',
    title: 'SalinasA (AVIRIS, Salinas subscene)',
    cubeFile: 'SalinasA_corrected.mat', cubeVar: 'salinasA_corrected', gtFile: 'SalinasA_gt.mat', gtVar: 'salinasA_gt',
    // SalinasA keeps Salinas' label values: 1, 10..14 (not contiguous).
    classes: names(
      [SALINAS_NAMES[0], SALINAS_NAMES[9], SALINAS_NAMES[10], SALINAS_NAMES[11], SALINAS_NAMES[12], SALINAS_NAMES[13]],
      [1, 10, 11, 12, 13, 14],
    ),
    rgbBands: [43, 21, 11],
    shape: [83, 86, 204],
    remote: {
      cube: { file: 'SalinasA_corrected.mat', bytes: 1_539_086, sha256: 'd75684ed3ab71a1024cee0f9db9061f50a3523a92ff5edfbbb1eed976b9f1721', url: `${GIC}/1/1a/SalinasA_corrected.mat` },
      gt: { file: 'SalinasA_gt.mat', bytes: 587, sha256: '17814c1d3296c0e29b27f320f2c4174d2a68adb87e376abe78f02923e2c2e454', url: `${GIC}/a/aa/SalinasA_gt.mat` },
    },
  },
  {
    id: 'pavia-u',
    title: 'Pavia University (ROSIS)',
    cubeFile: 'PaviaU.mat', cubeVar: 'paviaU', gtFile: 'PaviaU_gt.mat', gtVar: 'paviaU_gt',
    classes: names([
      'Asphalt', 'Meadows', 'Gravel', 'Trees', 'Painted metal sheets', 'Bare Soil', 'Bitumen',
      'Self-Blocking Bricks', 'Shadows',
    ]),
    rgbBands: [55, 41, 12],
    shape: [610, 340, 103],
    remote: {
      cube: { file: 'PaviaU.mat', bytes: 34_806_917, sha256: '28447fa87f7a5797845e9a189c0da85e23b1d06a4ba7361e5ff44efbf834d2fb', url: `${GIC}/e/ee/PaviaU.mat` },
      gt: { file: 'PaviaU_gt.mat', bytes: 11_005, sha256: '23f6a426928f9b32984adffe659e29f554f9fb6c93b5a107528d308d5087a829', url: `${GIC}/5/50/PaviaU_gt.mat` },
    },
  },
  {
    id: 'pavia-c',
    title: 'Pavia Centre (ROSIS)',
    cubeFile: 'Pavia.mat', cubeVar: 'pavia', gtFile: 'Pavia_gt.mat', gtVar: 'pavia_gt',
    classes: names([
      'Water', 'Trees', 'Asphalt', 'Self-Blocking Bricks', 'Bitumen', 'Tiles', 'Shadows', 'Meadows', 'Bare Soil',
    ]),
    rgbBands: [55, 41, 12],
    shape: [1096, 715, 102],
  },
  {
    id: 'botswana',
    title: 'Botswana (Hyperion)',
    cubeFile: 'Botswana.mat', cubeVar: 'Botswana', gtFile: 'Botswana_gt.mat', gtVar: 'Botswana_gt',
    classes: names([
      'Water', 'Hippo grass', 'Floodplain grasses 1', 'Floodplain grasses 2', 'Reeds', 'Riparian', 'Firescar',
      'Island interior', 'Acacia woodlands', 'Acacia shrublands', 'Acacia grasslands', 'Short mopane',
      'Mixed mopane', 'Exposed soils',
    ]),
    rgbBands: [75, 33, 15],
    shape: [1476, 256, 145],
    remote: {
      cube: { file: 'Botswana.mat', bytes: 78_911_133, sha256: 'f1603903c844cdc2980550b0180688e8e1a72d4292595d1120e1dec2a80a91c7', url: `${GIC}/7/72/Botswana.mat` },
      gt: { file: 'Botswana_gt.mat', bytes: 4_039, sha256: '668394905e10e629c16584bfd02b0f533b96d6ba18a63274a94ff3a77126a887', url: `${GIC}/5/58/Botswana_gt.mat` },
    },
  },
  {
    id: 'samson',
    title: 'Samson (unmixing benchmark, labels from abundances ≥ 0.6)',
    cubeFile: 'Samson_cube.mat', cubeVar: 'samson', gtFile: 'Samson_gt.mat', gtVar: 'samson_gt',
    classes: names(['Rock', 'Tree', 'Water']),
    // 156 bands over 401–889 nm: about 650, 550 and 470 nm.
    rgbBands: [79, 47, 22],
    shape: [95, 95, 156],
  },
];

/**
 * Looks a dataset up by id, case-insensitively, accepting the variable and file-stem spellings too
 * (KSC, PaviaU, SalinasA_corrected, Samson_cube…).
 */
export function findDataset(id: string): DatasetEntry | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/\.mat$/, '').replace(/[^a-z0-9]/g, '');
  const key = norm(id);
  return DATASETS.find((d) => [d.id, d.cubeVar, d.cubeFile].some((s) => norm(s) === key));
}
