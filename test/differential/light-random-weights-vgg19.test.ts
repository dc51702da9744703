import { lightModelSuite } from './light-suite.js';

// VGG-19 alone: ~140M weights, the longest of the light models through tilec's interpreter.
lightModelSuite(['vgg19']);
